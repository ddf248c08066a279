/**
 * A test server (an IdP, the fake IdP) started before a test file's tests
 * and stopped after them. What it returns reads through to the running
 * server, so a file writes `const idp = useServer(() => startIdp())` once
 * instead of a variable and two hooks.
 */
import { afterAll, beforeAll } from 'vitest';

export function useServer<T extends { stop(): Promise<void> }>(start: () => Promise<T>): T {
  let server: T | undefined;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const running = (): T => {
    if (!server) throw new Error('the server is not started yet: use it inside a test or a hook');
    return server;
  };
  return new Proxy({} as T, {
    get: (_, key) => {
      const value: unknown = Reflect.get(running(), key);
      return typeof value === 'function' ? value.bind(running()) : value;
    },
    set: (_, key, value) => Reflect.set(running(), key, value),
  });
}
