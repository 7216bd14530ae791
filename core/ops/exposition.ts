/**
 * Prometheus' text exposition format (version 0.0.4): a metrics snapshot as
 * the text `/metrics` answers, with a HELP and a TYPE line per family,
 * label values escaped, and histograms as cumulative `_bucket` series with
 * `_sum` and `_count`.
 *
 * @module
 */

import type { MetricsSnapshot } from "./metrics.ts";

/** The `Content-Type` of the text exposition format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A label value with `\`, `"` and newlines escaped. */
function escapeLabel(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

/** A sample value: integers as such, `+Inf`, `-Inf`, `NaN`. */
function formatValue(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return Number.isNaN(v) ? "NaN" : String(v);
}

function labelText(names: string[], values: string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i])}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** Renders a snapshot in the text exposition format (version 0.0.4). */
export function renderExposition(snapshot: MetricsSnapshot): string {
  const out: string[] = [];
  for (const f of snapshot) {
    out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.series) {
      if (f.type !== "histogram") {
        out.push(`${f.name}${labelText(f.labelNames, s.labels)} ${formatValue(s.value)}`);
        continue;
      }
      let total = 0;
      const bounds = [...f.buckets!.map(formatValue), "+Inf"];
      s.counts!.forEach((c, i) => {
        total += c;
        const le = `le="${bounds[i]}"`;
        out.push(`${f.name}_bucket${labelText(f.labelNames, s.labels, le)} ${total}`);
      });
      out.push(`${f.name}_sum${labelText(f.labelNames, s.labels)} ${formatValue(s.value)}`);
      out.push(`${f.name}_count${labelText(f.labelNames, s.labels)} ${total}`);
    }
  }
  return out.join("\n") + "\n";
}
