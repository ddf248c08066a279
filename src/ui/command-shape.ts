/**
 * The shape of a command's description (STYLE rule 12): what the command
 * table writes once and what every view of it reads — the commander program,
 * the fast-path parser, the completions and the man page. It stands on this
 * floor so the man page (ui) can read it without reaching up to the table.
 */

export interface OptionDef {
  /** commander's flags: `--tier <tier>`, `-y, --yes`, `--no-prompt`. */
  flags: string;
  description: string;
  default?: string;
  choices?: readonly string[];
  required?: boolean;
  /** Accepted but not shown in help or completions. */
  hidden?: boolean;
}

export interface ArgumentDef {
  /** commander's syntax: `<command...>`, `[file]`. */
  syntax: string;
  description: string;
  choices?: readonly string[];
}

/** What a command says of itself: everything but how it runs. */
export interface CommandText {
  /** Words after `guard`: `status`, `config check`. */
  name: string;
  summary: string;
  args?: ArgumentDef[];
  options?: OptionDef[];
  examples?: string[];
  /** Text after the examples in `guard NAME --help`. */
  help?: string;
}
