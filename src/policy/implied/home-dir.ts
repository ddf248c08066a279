/**
 * The home folder each tool reads its files under, found as the tool finds
 * it: they part ways when HOME is empty or unset (checked against the real
 * kubectl 1.32, psql 15, aws CLI and gcloud). Pure: the account's home (its
 * passwd entry) is passed in.
 */
import { tilde } from '../../util/text.ts';
type Env = Readonly<Record<string, string | undefined>>;

/**
 * client-go (kubectl, helm): HOME as it is (homedir.HomeDir reads nothing
 * else on Unix); empty or unset, `~/.kube/config` is the relative
 * `.kube/config`, under the working directory.
 */
export function clientGoHome(env: Env): string {
  return env.HOME ?? '';
}

/**
 * libpq 15 (pqGetHomeDirectory): HOME unless it is empty or unset, else the
 * account's home; undefined when there is neither (libpq then reads no
 * file under a home).
 */
export function libpqHome(env: Env, accountHome: string): string | undefined {
  return env.HOME || accountHome || undefined;
}

/**
 * Python's os.path.expanduser, as the aws CLI (botocore) and gcloud expand
 * `~`: HOME when it is set, even empty, else the account's home, trailing
 * slashes dropped, and `/` when nothing is left (HOME='' makes `~/.aws/config`
 * `/.aws/config`). `~user` and paths without `~` stay as written, and so
 * does everything when the account has no home.
 *
 * @see https://docs.python.org/3/library/os.path.html#os.path.expanduser
 */
export function expandUser(path: string, env: Env, accountHome: string): string {
  if (path !== '~' && !path.startsWith('~/')) return path;
  const home = env.HOME ?? accountHome;
  if (env.HOME === undefined && accountHome === '') return path;
  return home.replace(/\/+$/, '') + path.slice(1) || '/';
}

/** A path as guard shows it: `~` for the home the user's shell names (HOME), else the account's. */
export function showPath(path: string, reader: { env: Env; home: string }): string {
  return tilde(path, reader.env.HOME || reader.home);
}
