/** Network names. */

/** A host name or address of this machine (loopback): plain http is allowed only there. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
