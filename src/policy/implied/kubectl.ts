/**
 * kubectl's and helm's target (SPEC §14): the kubeconfig's current context
 * and that context's namespace, unless argv says otherwise. Several files
 * merge as client-go's loading rules do (kubeconfig.ts). Pure: files come
 * through the injected reader.
 */
import { isAbsolute, join } from 'node:path';
import { spellings } from '../flag-aliases.ts';
import { tilde } from '../../util/text.ts';
import { kubeconfigPaths, mergeKubeconfigs } from './kubeconfig.ts';
import type { ImpliedReader, ImpliedWord } from './implied-types.ts';
import { needsImplying, typedFlag } from './typed-flag.ts';

export async function kubeWords(argv: readonly string[], needed: ReadonlySet<string>, reader: ImpliedReader, helm: boolean): Promise<ImpliedWord[]> {
  const contextNames = helm ? ['--kube-context'] : ['--context'];
  const namespaceNames = spellings(argv, '--namespace');
  const contextFlags = helm ? ['--kube-context', '--context'].filter((name) => needed.has(name)) : needed.has('--context') ? ['--context'] : [];
  const wantContext = contextFlags.length > 0 && needsImplying(argv, contextNames);
  const wantNamespace = needed.has('--namespace') && needsImplying(argv, namespaceNames) && !(helm && reader.env.HELM_NAMESPACE);
  const words: ImpliedWord[] = [];
  if (helm && needed.has('--namespace') && reader.env.HELM_NAMESPACE && needsImplying(argv, namespaceNames)) {
    words.push({ name: '--namespace', value: reader.env.HELM_NAMESPACE, source: 'HELM_NAMESPACE' });
  }
  if (!wantContext && !wantNamespace) return words;

  const unknown = (source: string, problem: string) => [
    ...(wantContext ? contextFlags.map((name) => ({ name, value: undefined, source, problem })) : []),
    ...(wantNamespace ? [{ name: '--namespace', value: undefined, source, problem }] : []),
  ];
  const typedConfig = typedFlag(argv, ['--kubeconfig']);
  if (typedConfig.unsure) return [...words, ...unknown('argv', 'argv may name another kubeconfig (--kubeconfig)')];
  const paths = typedConfig.value !== undefined ? [typedConfig.value] : kubeconfigPaths(reader.env, reader.home);
  const resolved = paths.map((path) => (isAbsolute(path) ? path : join(reader.cwd, path)));
  const reads = [];
  for (const path of resolved) reads.push({ path, read: await reader.readKubeconfig(path) });
  const merged = mergeKubeconfigs(reads);
  if (merged.problem) return [...words, ...unknown(tilde(merged.problem.path, reader.home), `cannot read ${tilde(merged.problem.path, reader.home)} (${merged.problem.reason})`)];

  const envContext = helm ? reader.env.HELM_KUBECONTEXT : undefined;
  const current = envContext ? { name: envContext, source: 'HELM_KUBECONTEXT' } : merged.currentContext && { name: merged.currentContext.name, source: tilde(merged.currentContext.path, reader.home) };
  if (wantContext && current) for (const name of contextFlags) words.push({ name, value: current.name, source: current.source });
  if (wantNamespace) {
    // The namespace of the context that will be used: the one typed, else the current one.
    const used = typedFlag(argv, contextNames).value ?? current?.name;
    const context = used === undefined ? undefined : merged.contexts.get(used);
    words.push(context?.namespace ? { name: '--namespace', value: context.namespace, source: tilde(context.path, reader.home) } : { name: '--namespace', value: 'default', source: 'kubectl default' });
  }
  return words;
}
