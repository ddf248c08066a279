/** Parses a kubeconfig's text into the facts guard needs (loads the YAML parser: only on a cache miss). */
import { parse } from 'yaml';
import { kubeFactsOf, type KubeRead } from './kubeconfig.ts';

export function parseKubeconfig(text: string): KubeRead {
  let document: unknown;
  try {
    // client-go's YAML reader (yaml.v2) applies merge keys (`cluster: {<<: *prod}`); YAML 1.2 parsers do not by default.
    document = parse(text, { merge: true });
  } catch (error) {
    return { problem: `not valid YAML: ${(error as Error).message.split('\n')[0]}` };
  }
  const facts = kubeFactsOf(document);
  return typeof facts === 'string' ? { problem: facts } : { facts };
}
