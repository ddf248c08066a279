// Writes completions/guard.bash, completions/_guard (zsh) and
// completions/guard.fish from the built CLI (`guard completion SHELL`), and
// the manual page man/guard.1 (`guard completion --man`, from the command
// table), run with no config, no profile and an empty home, so the files
// depend on the program alone. `npm run completions` builds first;
// `--check` compares instead of writing and exits 1 on drift.
// test/unit/completion.test.ts and test/unit/man-page.test.ts fail when the
// checked-in files drift.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const FILES = {
  'completions/guard.bash': ['completion', 'bash'],
  'completions/_guard': ['completion', 'zsh'],
  'completions/guard.fish': ['completion', 'fish'],
  'man/guard.1': ['completion', '--man'],
};
const check = process.argv.includes('--check');
const home = mkdtempSync(join(tmpdir(), 'guard-completions-'));
const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_STATE_HOME: join(home, 'state'), GUARD_SYSTEM_POLICY: join(home, 'none.yaml'), NO_COLOR: '1' };
let drift = false;
try {
  for (const [name, args] of Object.entries(FILES)) {
    const script = execFileSync(process.execPath, [join(root, 'bin', 'guard'), ...args], { env, cwd: home, encoding: 'utf8' });
    const file = join(root, name);
    if (check) {
      let current = '';
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        // missing counts as drift
      }
      if (current !== script) {
        drift = true;
        process.stderr.write(`${name} is out of date: run npm run completions\n`);
      }
    } else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, script);
      process.stdout.write(`wrote ${name}\n`);
    }
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
process.exit(drift ? 1 : 0);
