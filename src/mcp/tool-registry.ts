/**
 * Our own tools/list + tools/call handlers on the SDK's low-level Server. Why not McpServer.registerTool:
 * the SDK answers a schema mismatch with a bare text error, drops unknown fields silently, and can
 * only advertise the schema it validates with. Here the STRICT zod schema validates (failures become
 * INVALID_ARGUMENT naming the field), the same schema is advertised as JSON, and the output schema
 * also admits the `{error}` shape because SDK clients validate structuredContent of error results too.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Tool,
  type ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { DomainError } from '../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { OrderConfirmer } from '../services/ports.ts';
import { checkArgumentDepth } from './argument-depth.ts';
import { elicitationConfirmer } from './confirm.ts';
import { invalidArguments, successResult, toToolError } from './errors.ts';

export interface ToolContext {
  /** Audit actor, e.g. "mcp:stdio" or "mcp:<session id>". */
  actor: string;
  /** Asks the human to confirm an order (present when the client declared elicitation). */
  confirm?: OrderConfirmer;
}

type InputSchema = z.ZodObject<z.ZodRawShape>;
type OutputSchema = z.ZodObject<z.ZodRawShape>;

export interface ToolSpec<I extends InputSchema = InputSchema, O extends OutputSchema = OutputSchema> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  handler: (args: z.output<I>, ctx: ToolContext) => Promise<z.input<O>> | z.input<O>;
}

/** Typed helper so each tool file gets inference on args and result. */
export function defineTool<I extends InputSchema, O extends OutputSchema>(spec: ToolSpec<I, O>): ToolSpec {
  return spec as unknown as ToolSpec;
}

/**
 * zod writes a 317-character regex beside `format: "date-time"`; the format says the same to a client
 * (zod still enforces the full rule), and the tool list is read by LLMs token by token.
 */
function compactDateTime(ctx: { jsonSchema: Record<string, unknown> }): void {
  if (ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern;
}

/** Input keywords that only bound sizes or repeat long regexes: zod enforces them, an LLM gains nothing from reading them. */
const INPUT_NOISE = ['minLength', 'maxLength', 'minItems', 'maxItems', 'propertyNames'] as const;
const LONG_PATTERN = 24;

/**
 * Leaner advertised input schema (tools/list is paid for in tokens on every turn): types, enums,
 * short patterns, ranges and descriptions stay; size bounds, long regexes (decimals: "decimal
 * string" says it) and nested additionalProperties go. The root keeps additionalProperties:false.
 */
function leanInput(node: Record<string, unknown>, root: boolean): void {
  for (const k of INPUT_NOISE) delete node[k];
  if (typeof node.pattern === 'string' && node.pattern.length > LONG_PATTERN) delete node.pattern;
  if (!root && node.type === 'object' && node.properties !== undefined) delete node.additionalProperties;
  // Only into sub-schemas (a field may well be called "type" or "pattern").
  const subs: unknown[] = [node.items, node.additionalProperties, ...Object.values((node.properties ?? {}) as object)];
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) if (Array.isArray(node[k])) subs.push(...(node[k] as unknown[]));
  for (const sub of subs) if (sub !== null && typeof sub === 'object' && !Array.isArray(sub)) leanInput(sub as Record<string, unknown>, false);
}

/**
 * One level of an output schema: its type (array items: theirs), enum and description. Output schemas
 * tell a client the result's top-level fields; the nested shapes are in CONTRACT.md and the tool
 * descriptions, and the SDK client still validates every result against the schema.
 */
function shallow(node: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (node.type !== undefined) out.type = node.type;
  if (Array.isArray(node.anyOf)) out.anyOf = (node.anyOf as Record<string, unknown>[]).map((n) => ({ ...(n.type !== undefined ? { type: n.type } : {}) }));
  if (node.enum !== undefined) out.enum = node.enum;
  const items = node.items as Record<string, unknown> | undefined;
  if (items && typeof items === 'object' && items.type !== undefined) out.items = { type: items.type };
  if (typeof node.description === 'string') out.description = node.description;
  return out;
}

function shallowProperties(json: Record<string, unknown>): Record<string, object> {
  return Object.fromEntries(Object.entries((json.properties ?? {}) as Record<string, Record<string, unknown>>).map(([k, v]) => [k, shallow(v)]));
}

const jsonCache = new WeakMap<z.ZodType, Record<string, unknown>>();
function toJson(schema: z.ZodType): Record<string, unknown> {
  let json = jsonCache.get(schema);
  if (!json) {
    // io 'input' = no additionalProperties:false on plain objects, so additive output fields stay valid.
    json = z.toJSONSchema(schema, { io: 'input', target: 'draft-7', unrepresentable: 'any', override: compactDateTime }) as Record<string, unknown>;
    delete json.$schema;
    jsonCache.set(schema, json);
  }
  return json;
}

/**
 * Errors are not part of the output schemas (the codes are explained once, in the server
 * instructions); only the envelope is, because SDK clients validate structuredContent of error results too.
 */
const ERROR_JSON = { type: 'object' };

/**
 * Success properties plus `error`, none required: a result is either the success fields or `{error}`
 * (CONTRACT.md says which fields are always there), and a required list per branch would cost an
 * anyOf in every tool for no client that acts on it.
 */
export function outputJsonSchema(output: OutputSchema): Tool['outputSchema'] {
  return { type: 'object', properties: { ...shallowProperties(toJson(output)), error: ERROR_JSON } };
}

/**
 * Keywords that the big LLM providers (Anthropic, OpenAI, Bedrock, Vertex) refuse at the root of a
 * tool's input schema; one such tool fails the client's whole session. Rules like "exactly one of"
 * are checked by the zod refinement and said in the description instead.
 */
export const ROOT_INPUT_KEYWORDS_REFUSED = ['oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', '$ref'] as const;

export function inputJsonSchema(spec: ToolSpec): Tool['inputSchema'] {
  const json = structuredClone(toJson(spec.input));
  leanInput(json, true);
  const refused = ROOT_INPUT_KEYWORDS_REFUSED.filter((k) => k in json);
  if (refused.length > 0) throw new Error(`tool ${spec.name}: input schema has ${refused.join(', ')} at its root, which LLM providers refuse`);
  return { ...json, type: 'object' } as Tool['inputSchema'];
}

/**
 * The hints as listed: destructiveHint and idempotentHint are "meaningful only when readOnlyHint is
 * false" (MCP spec), so a read-only tool lists readOnlyHint and openWorldHint only.
 */
function advertisedAnnotations(a: ToolAnnotations): ToolAnnotations {
  if (a.readOnlyHint !== true) return a;
  const { destructiveHint: _d, idempotentHint: _i, ...rest } = a;
  return rest;
}

export interface ToolRegistryOptions {
  logger: Logger;
  metrics?: Metrics;
  actor: () => string;
}

export class ToolRegistry {
  private readonly tools = new Map<string, ToolSpec>();

  constructor(private readonly opts: ToolRegistryOptions) {}

  add(spec: ToolSpec): void {
    if (this.tools.has(spec.name)) throw new Error(`tool ${spec.name} registered twice`);
    this.tools.set(spec.name, spec);
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  list(): Tool[] {
    return [...this.tools.values()].map((t) => ({
      name: t.name,
      title: t.title,
      description: t.description,
      inputSchema: inputJsonSchema(t),
      outputSchema: outputJsonSchema(t.output),
      annotations: advertisedAnnotations(t.annotations),
    }));
  }

  /** Validates, runs and maps one call; never throws for a known tool. */
  async call(name: string, rawArgs: unknown, extra: Omit<ToolContext, 'actor'> = {}): Promise<CallToolResult> {
    const spec = this.tools.get(name);
    if (!spec) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"; call tools/list for the available tools`);
    const started = performance.now();
    let result: CallToolResult;
    try {
      checkArgumentDepth(rawArgs);
      const parsed = spec.input.safeParse(rawArgs ?? {});
      if (!parsed.success) throw invalidArguments(parsed.error.issues, Object.keys(spec.input.shape));
      const out = await spec.handler(parsed.data, { ...extra, actor: this.opts.actor() });
      // Parsing strips anything undocumented; a mismatch is our bug, reported as INTERNAL.
      const checked = spec.output.safeParse(out);
      if (!checked.success) {
        this.opts.logger.error({ tool: name, issues: checked.error.issues.slice(0, 5) }, 'tool result does not match its output schema');
        throw new DomainError('INTERNAL', 'internal error: the result did not match the output schema');
      }
      result = successResult(checked.data as Record<string, unknown>);
    } catch (err) {
      result = toToolError(err, (e) => this.opts.logger.error({ err: e, tool: name }, 'tool failed unexpectedly'));
    }
    const code = result.isError ? (result.structuredContent as { error: { code: string } }).error.code : 'ok';
    this.opts.metrics?.mcpCalls.inc({ tool: name, result: code });
    this.opts.logger.debug({ tool: name, result: code, ms: Math.round((performance.now() - started) * 1000) / 1000 }, 'mcp tool call');
    return result;
  }

  /** Installs tools/list and tools/call on a low-level Server (before connect). */
  install(server: Server): void {
    server.registerCapabilities({ tools: { listChanged: false } });
    let listed: Tool[] | undefined; // built on first request: JSON schemas cost a little
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: (listed ??= this.list()) }));
    server.setRequestHandler(CallToolRequestSchema, (req, extra) => {
      const confirm = elicitationConfirmer(server, extra.signal);
      return this.call(req.params.name, req.params.arguments, confirm ? { confirm } : {});
    });
  }
}
