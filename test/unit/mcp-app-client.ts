/** One real app on a temp data dir and an in-memory SDK client to it, for the tests of one describe/file. */
import { afterAll, beforeAll } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startTestApp, type TestApp } from '../integration/mcp-app.ts';
import { connectInMemory, type Connected } from './mcp-harness.ts';

export interface AppClient {
  readonly app: TestApp;
  readonly client: Client;
}

/** Registers beforeAll/afterAll; read `app` and `client` inside tests (they exist once beforeAll ran). */
export function useAppClient(): AppClient {
  let app: TestApp | undefined;
  let conn: Connected | undefined;
  beforeAll(async () => {
    app = await startTestApp();
    conn = await connectInMemory(app.services);
  });
  afterAll(async () => {
    await conn?.close();
    await app?.close();
  });
  return {
    get app() {
      if (!app) throw new Error('useAppClient: the app exists only inside tests');
      return app;
    },
    get client() {
      if (!conn) throw new Error('useAppClient: the client exists only inside tests');
      return conn.client;
    },
  };
}
