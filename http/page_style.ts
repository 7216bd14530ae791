/**
 * The listing page's style sheet, embedded so the single binary carries it:
 * readable at phone width, follows the system's dark mode, no external fonts
 * or images.
 *
 * @module
 */

/** The CSS of the listing page. */
export const PAGE_CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--mute:#59636e;--line:#d8dee4;
--row:#f6f8fa;--link:#0757c7;--ok:#1a7f37;--err:#cf222e;--accent:#0969da;--btn:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mute:#9198a1;
--line:#30363d;--row:#161b22;--link:#4493f8;--ok:#3fb950;--err:#f85149;--accent:#4493f8;
--btn:#1f6feb}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:64rem;padding:1rem;background:var(--bg);color:var(--fg);
font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--link);text-decoration:none}a:hover,a:focus{text-decoration:underline}
h1{font-size:1.25rem;margin:.25rem 0 .75rem;overflow-wrap:anywhere}
nav.crumbs ol{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap}
nav.crumbs li{min-width:0;overflow-wrap:anywhere}
nav.crumbs li+li::before{content:"/";color:var(--mute);padding:0 .35em}
.bar{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.5rem 0 1rem;
color:var(--mute);font-size:.9rem}
.bar a{border:1px solid var(--line);border-radius:6px;padding:.2rem .6rem}
table{width:100%;border-collapse:collapse}
th,td{padding:.45rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:.85rem;font-weight:600;color:var(--mute);white-space:nowrap}
th a{color:inherit}th[aria-sort] a{color:var(--fg)}
tbody tr:hover{background:var(--row)}
td.name{overflow-wrap:anywhere;width:100%}
td.size,th.size{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.date{white-space:nowrap;color:var(--mute);font-variant-numeric:tabular-nums}
.dir a::before{content:"";font-size:.7em;padding-left:1.5em;margin-right:.65em;
border-radius:2px 3px 3px 3px;background:#e0a526;box-shadow:inset 0 .25em 0 #f2c14e}
.empty{color:var(--mute);font-style:italic}
#up{border:2px dashed var(--line);border-radius:10px;padding:.75rem 1rem;margin:0 0 1rem}
#up.over{border-color:var(--accent);background:var(--row)}
#up .pick{display:inline-block;background:var(--btn);color:#fff;border-radius:6px;
padding:.35rem .8rem;cursor:pointer;font-weight:600}
#up input[type=file]{position:absolute;width:1px;height:1px;opacity:0}
#up input[type=file]:focus-visible+span{outline:2px solid var(--accent)}
#up details{margin-top:.5rem;font-size:.9rem}
#up .cred{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.5rem}
#up .cred input{font:inherit;padding:.3rem .5rem;border:1px solid var(--line);border-radius:6px;
background:var(--bg);color:var(--fg);min-width:0;flex:1 1 10rem}
#progress{list-style:none;margin:.5rem 0 0;padding:0}
#progress li{display:grid;grid-template-columns:minmax(0,1fr) 8rem;gap:.1rem .75rem;
padding:.35rem 0;border-top:1px solid var(--line);font-size:.9rem}
#progress .fname{overflow-wrap:anywhere}
#progress progress{width:100%;height:.9rem;align-self:center}
#progress .msg{grid-column:1/-1;color:var(--mute)}
#progress li.ok .msg{color:var(--ok)}#progress li.err .msg{color:var(--err);font-weight:600}
#progress progress{accent-color:var(--accent)}#progress li.ok progress{accent-color:var(--ok)}
#progress li.err progress{accent-color:var(--err);opacity:.6}
p.note{color:var(--mute);font-size:.9rem}
footer{margin-top:1rem;color:var(--mute);font-size:.85rem}
button.share{margin-left:.5rem;font-size:.8rem}.link{margin-top:.3rem;color:var(--mute);font-size:.85rem}
.link input.url{width:min(42em,100%);font:inherit;color:inherit}a.login{float:right}
@media (max-width:600px){body{padding:.75rem;font-size:15px}
th,td{padding:.5rem .3rem}.t{display:none}td.date{font-size:.8rem;padding-top:.65rem}
#progress li{grid-template-columns:minmax(0,1fr) 5rem}}
`;
