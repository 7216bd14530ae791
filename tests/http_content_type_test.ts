// Content types against the reference data of the field: every extension in
// nginx's mime.types (Debian's /etc/nginx/mime.types) and a few hundred
// common ones in Debian's /etc/mime.types get the type those tables give,
// save the differences listed below, each with its reason. Then netkit's own
// rules: charset on text, source code as text, what is compressible.

import assert from "node:assert/strict";
import { contentTypeFor, DEFAULT_TYPE, isCompressible, OVERRIDES } from "../http/content_type.ts";

/** Extension to type from an nginx `types { ... }` block or a mime.types file. */
function parseMimeTypes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const body = text.replace(/#.*$/gm, "").replace(/^\s*types\s*\{|\}\s*$/g, "");
  for (const line of body.split(/[;\n]/)) {
    const [type, ...exts] = line.trim().split(/\s+/).filter(Boolean);
    for (const e of exts) if (!out.has(e.toLowerCase())) out.set(e.toLowerCase(), type);
  }
  return out;
}

function readTable(path: string, pkg: string): Map<string, string> | null {
  try {
    return parseMimeTypes(Deno.readTextFileSync(path));
  } catch {
    console.log(`${path} is missing (Debian package ${pkg}): that comparison is skipped`);
    return null;
  }
}

const NGINX = readTable("/etc/nginx/mime.types", "nginx-common");
const DEBIAN = readTable("/etc/mime.types", "media-types");

/** The type without parameters, as the reference tables write it. */
const typeOf = (ext: string) => contentTypeFor(`x.${ext}`).split(";")[0];

// Where netkit answers otherwise than nginx: mime-db's registered or newer
// name, or a specific type where nginx only says octet-stream (a download
// either way), or netkit's own rule.
const NOT_AS_NGINX: Record<string, [string, string]> = {
  js: ["text/javascript", "RFC 9239 made application/javascript obsolete"],
  xml: ["application/xml", "RFC 7303 prefers it to text/xml"],
  ico: ["image/vnd.microsoft.icon", "the IANA-registered name"],
  bmp: ["image/bmp", "the IANA-registered name"],
  rar: ["application/vnd.rar", "the IANA-registered name"],
  m4a: ["audio/mp4", "RFC 4337"],
  prc: ["model/prc", "the IANA-registered name"],
  pdb: ["application/vnd.palm", "mime-db"],
  ra: ["audio/x-pn-realaudio", "mime-db"],
  exe: ["application/x-msdos-program", "nginx: octet-stream"],
  dll: ["application/x-msdownload", "nginx: octet-stream"],
  msi: ["application/x-msdownload", "nginx: octet-stream"],
  deb: ["application/x-debian-package", "nginx: octet-stream"],
  dmg: ["application/x-apple-diskimage", "nginx: octet-stream"],
  iso: ["application/x-iso9660-image", "nginx: octet-stream"],
  ts: ["text/plain", "netkit: TypeScript source, not MPEG-TS"],
};

Deno.test({
  name: "contentTypeFor() gives nginx's type for every extension in its mime.types",
  ignore: NGINX === null,
  fn() {
    assert.ok(NGINX!.size >= 100, `only ${NGINX!.size} extensions read`);
    for (const [ext, type] of NGINX!) {
      const expected = NOT_AS_NGINX[ext]?.[0] ?? type;
      assert.equal(typeOf(ext), expected, `.${ext}: nginx says ${type}`);
    }
  },
});

/** Common extensions: web, text and code, images, audio, video, fonts, documents, archives, keys. */
const COMMON = `
html htm shtml xhtml xht css js mjs json jsonld webmanifest xml xsl xslt dtd rss atom rdf wsdl svg
svgz wasm txt text csv tsv md markdown ics vcf vtt srt sgml latex tex texi texinfo t tr man
c cc cxx cpp h hh hpp java class jar py pl pm sh tcl tk diff patch sql
png jpg jpeg jpe gif webp avif bmp ico tif tiff psd xcf heic heif jxl jp2 jpx jpm pbm pgm ppm pnm
xbm xpm xwd wbmp djvu
mp3 mpga mp2 m4a aac oga ogg opus flac wav aif aiff aifc au snd mid ra wma spx m3u pls amr
mp4 m4v mpeg mpg mpe mov qt webm ogv mkv avi wmv flv asf ts mts mng movie dv
woff woff2 ttf otf ttc eot
pdf ps eps ai epub rtf doc dot docx dotx docm xls xlt xlsx xltx xlsm xlsb xlam ppt pot pps pptx
potx ppsx pptm sldx odt ott ods ots odp otp odg otg odf odc odb odi odm oth
zip gz tgz xz 7z rar tar gtar cpio shar lzh lha zst cab deb rpm apk dmg iso exe dll msi bin torrent
swf p12 pfx cer crt crl pem p7c p7m p7s pgp sig asc key kml kmz
`.trim().split(/\s+/);

// Where netkit answers otherwise than Debian's table: mime-db's choice (a
// registered name, or another of two types that claim the extension), or
// netkit's own rule.
const NOT_AS_DEBIAN: Record<string, [string, string]> = {
  xsl: ["application/xml", "mime-db"],
  rss: ["application/rss+xml", "the IANA-registered name"],
  vcf: ["text/x-vcard", "mime-db"],
  srt: ["application/x-subrip", "mime-db"],
  tex: ["application/x-tex", "mime-db"],
  man: ["text/troff", "the IANA-registered name"],
  c: ["text/x-c", "mime-db: one type for C and C++"],
  cc: ["text/x-c", "mime-db"],
  cxx: ["text/x-c", "mime-db"],
  cpp: ["text/x-c", "mime-db"],
  h: ["text/x-c", "mime-db"],
  hh: ["text/x-c", "mime-db"],
  hpp: ["text/x-c", "netkit: as .h and .cpp"],
  java: ["text/x-java-source", "mime-db"],
  py: ["text/plain", "netkit: source shown as text"],
  pl: ["application/x-perl", "mime-db"],
  pm: ["application/x-perl", "mime-db"],
  sh: ["text/plain", "netkit: source shown as text"],
  tk: ["application/x-tcl", "mime-db"],
  xcf: [DEFAULT_TYPE, "not in mime-db"],
  flac: ["audio/x-flac", "mime-db"],
  wav: ["audio/wav", "mime-db"],
  mid: ["audio/midi", "mime-db"],
  m3u: ["audio/x-mpegurl", "mime-db"],
  pls: ["application/pls+xml", "the IANA-registered name"],
  m4v: ["video/x-m4v", "mime-db"],
  asf: ["video/x-ms-asf", "mime-db"],
  ts: ["text/plain", "netkit: TypeScript source, not Qt Linguist"],
  mts: ["video/mp2t", "mime-db: AVCHD video"],
  dv: [DEFAULT_TYPE, "not in mime-db"],
  dot: ["application/msword", "mime-db: Word template, not Graphviz"],
  pot: ["application/vnd.ms-powerpoint", "mime-db: PowerPoint template"],
  odb: ["application/vnd.oasis.opendocument.database", "mime-db"],
  tgz: ["application/gzip", "netkit: what it is on the wire"],
  lzh: ["application/x-lzh-compressed", "mime-db"],
  lha: ["application/x-lzh-compressed", "mime-db"],
  deb: ["application/x-debian-package", "mime-db"],
  dll: ["application/x-msdownload", "mime-db"],
  msi: ["application/x-msdownload", "mime-db"],
  swf: ["application/x-shockwave-flash", "mime-db"],
  p12: ["application/x-pkcs12", "mime-db"],
  pfx: ["application/x-pkcs12", "mime-db"],
  pem: ["application/x-x509-ca-cert", "mime-db"],
  key: ["application/vnd.apple.keynote", "mime-db: Keynote, not PGP keys"],
};

Deno.test({
  name: "contentTypeFor() gives Debian's type for a few hundred common extensions",
  ignore: DEBIAN === null,
  fn() {
    let compared = 0;
    for (const ext of COMMON) {
      const type = DEBIAN!.get(ext);
      if (type === undefined) continue;
      compared++;
      const expected = NOT_AS_DEBIAN[ext]?.[0] ?? type;
      assert.equal(
        typeOf(ext).toLowerCase(),
        expected.toLowerCase(),
        `.${ext}: Debian says ${type}`,
      );
    }
    assert.ok(compared >= 200, `only ${compared} common extensions found in /etc/mime.types`);
  },
});

Deno.test("contentTypeFor(): charset on text and JSON only, case-insensitive, last dot wins", () => {
  assert.equal(contentTypeFor("index.HTML"), "text/html; charset=utf-8");
  assert.equal(contentTypeFor("a.json"), "application/json; charset=utf-8");
  assert.equal(contentTypeFor("a.jsonld"), "application/ld+json; charset=utf-8");
  assert.equal(contentTypeFor("a.webmanifest"), "application/manifest+json; charset=utf-8");
  assert.equal(contentTypeFor("a.mjs"), "text/javascript; charset=utf-8");
  assert.equal(contentTypeFor("feed.xml"), "application/xml", "XML declares its own encoding");
  assert.equal(contentTypeFor("logo.svg"), "image/svg+xml");
  assert.equal(contentTypeFor("book.epub"), "application/epub+zip");
  assert.equal(contentTypeFor("photo.avif"), "image/avif");
  assert.equal(contentTypeFor("a.docx").split(".").at(-1), "document");
  assert.equal(contentTypeFor("site.tar.gz"), "application/gzip");
  assert.equal(contentTypeFor("clip.mp4"), "video/mp4");
  for (const n of ["noext", ".bashrc", "a.", "a.unknownext", "a.json/"]) {
    assert.equal(contentTypeFor(n), DEFAULT_TYPE, n);
  }
});

Deno.test("contentTypeFor(): netkit's overrides win over mime-db", () => {
  assert.equal(contentTypeFor("main.ts"), "text/plain; charset=utf-8");
  assert.equal(contentTypeFor("lib.rs"), "text/plain; charset=utf-8");
  assert.equal(contentTypeFor("cli.cjs"), "text/javascript; charset=utf-8");
  for (const [ext, type] of Object.entries(OVERRIDES)) {
    assert.equal(typeOf(ext), type, ext);
  }
});

Deno.test("isCompressible(): mime-db's flag, text by default, never media or unknown bytes", () => {
  for (
    const n of ["a.css", "a.js", "a.json", "a.svg", "a.wasm", "a.ttf", "a.otf", "a.xml", "a.tar"]
  ) {
    assert.ok(isCompressible(contentTypeFor(n)), n);
  }
  for (const n of ["a.png", "a.jpg", "a.woff2", "a.zip", "a.gz", "a.mp4", "a.pdf", "a.bin", "x"]) {
    assert.ok(!isCompressible(contentTypeFor(n)), n);
  }
  assert.ok(isCompressible("application/vnd.example+json"), "JSON suffix, not in mime-db");
  assert.ok(isCompressible("text/x-unknown; charset=utf-8"));
  assert.ok(!isCompressible("application/x-unknown"));
});
