/**
 * What `--print-config` prints: a command's settings in effect, as its
 * section of a config file would hold them, each with where it came from.
 *
 * @module
 */

import type { FlagTable, Settings, Source } from "./command_line.ts";

function describe(source: Source): string {
  switch (source.kind) {
    case "command line":
      return "command line";
    case "environment":
      return `environment: ${source.name}`;
    case "file":
      return `${source.file}:${source.line}`;
    case "default":
      return "default";
  }
}

/**
 * The `--print-config` text: the command's section as a config file would
 * hold it, every key with its value and where it came from; secrets masked,
 * keys nothing sets as comments.
 */
export function formatSettings<T extends FlagTable>(settings: Settings<T>): string {
  const { spec, sources } = settings;
  const values = settings.values as Record<string, string | boolean | string[] | undefined>;
  const lines = [
    `// netkit ${spec.name} --print-config: the settings in effect, secrets masked.`,
    "// Precedence: command line, environment, config file, default.",
    "{",
    `  ${JSON.stringify(spec.section)}: {`,
  ];
  for (const [k, f] of Object.entries(spec.flags as FlagTable)) {
    if (f.cliOnly) continue;
    const v = values[k];
    if (v === undefined) {
      lines.push(`    // ${JSON.stringify(k)}: not set`);
      continue;
    }
    const shown = f.secret ? JSON.stringify("********") : JSON.stringify(v);
    lines.push(`    ${JSON.stringify(k)}: ${shown}, // ${describe(sources[k])}`);
  }
  lines.push("  }", "}");
  return lines.join("\n");
}
