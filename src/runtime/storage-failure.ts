/**
 * Maps SQLite write failures to the refusal callers see. The classification lives in
 * domain/storage-failure.ts so the edges (dashboard, MCP) can map a stray SQLite error the same way.
 */
export { storageFailure } from '../domain/storage-failure.ts';
