/** A path as a person reads it: `~/…` under the home folder. */
export function tilde(path: string, home: string | undefined): string {
  return home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}
