// A small MCP client over stdio, for test/mcpStdio.test.ts: newline-delimited JSON-RPC 2.0 on the child's stdin and
// stdout (the MCP stdio transport: one JSON message per line, no embedded newlines), the `initialize` handshake,
// `tools/list` and `tools/call`. Only what the test needs; the child is spawned and recorded by the caller.
import type { ChildProcess } from 'node:child_process';

export type JsonSchema = Readonly<{
  type?: string | readonly string[];
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  items?: JsonSchema;
  enum?: readonly unknown[];
  anyOf?: readonly JsonSchema[];
  format?: string;
  minimum?: number;
  minItems?: number;
  minLength?: number;
}>;

export type McpTool = Readonly<{ name: string; description?: string; inputSchema: JsonSchema }>;

export type McpToolResult = Readonly<{ content: readonly { type: string; text?: string }[]; isError?: boolean }>;

type RpcAnswer = { id: number; result?: unknown; error?: { code: number; message: string; data?: unknown } };

export class McpStdioClient {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (a: RpcAnswer) => void; reject: (e: Error) => void }>();
  /** What the child wrote to stderr (its configuration errors land there). */
  stderr = '';

  constructor(private readonly child: ChildProcess, private readonly timeoutMs = 20_000) {
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-20_000);
    });
    child.once('exit', (code, signal) => {
      for (const { reject } of this.pending.values()) reject(new Error(`the MCP server exited (${code ?? signal}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') continue;
      let message: Partial<RpcAnswer> & { method?: string };
      try {
        message = JSON.parse(line) as Partial<RpcAnswer> & { method?: string };
      } catch {
        continue; // not a protocol line
      }
      // Requests and notifications from the server (logging, list changes) carry a method: none is needed here.
      if (message.method !== undefined || typeof message.id !== 'number') continue;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      waiting?.resolve(message as RpcAnswer);
    }
  }

  private send(message: Record<string, unknown>): void {
    this.child.stdin?.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  }

  /** A JSON-RPC request; a JSON-RPC error or no answer in time rejects. */
  async request<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    const answer = await new Promise<RpcAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${method} in ${this.timeoutMs} ms: ${this.stderr}`));
      }, this.timeoutMs);
      this.pending.set(id, {
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.send({ id, method, params });
    });
    if (answer.error !== undefined) throw new Error(`${method}: JSON-RPC error ${answer.error.code}: ${answer.error.message}`);
    return answer.result as T;
  }

  /** The handshake: `initialize`, then the `notifications/initialized` notification. Returns the server's info. */
  async initialize(): Promise<{ protocolVersion: string; serverInfo: { name: string; version: string }; capabilities: Record<string, unknown> }> {
    const result = await this.request<{ protocolVersion: string; serverInfo: { name: string; version: string }; capabilities: Record<string, unknown> }>('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'hookbase-tests', version: '1.0.0' },
    });
    this.send({ method: 'notifications/initialized' });
    return result;
  }

  /** Every tool, following `nextCursor`. */
  async listTools(): Promise<McpTool[]> {
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request<{ tools: McpTool[]; nextCursor?: string }>('tools/list', cursor === undefined ? {} : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  }

  callTool(name: string, args: Record<string, unknown>): Promise<McpToolResult> {
    return this.request<McpToolResult>('tools/call', { name, arguments: args });
  }
}
