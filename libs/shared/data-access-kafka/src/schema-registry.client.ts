import type { SchemaRegistry } from '@profilestream/contracts';

export interface SchemaRegistryOptions {
  url: string;
  username: string | null;
  password: string | null;
  timeoutMs?: number;
}

/** A Confluent-compatible schema registry over HTTP (Confluent, Apicurio's ccompat API, Redpanda). */
export class HttpSchemaRegistry implements SchemaRegistry {
  private readonly base: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: SchemaRegistryOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.headers = {
      'content-type': 'application/vnd.schemaregistry.v1+json',
      accept: 'application/vnd.schemaregistry.v1+json',
    };
    if (options.username) {
      this.headers['authorization'] =
        `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
    }
  }

  async register(subject: string, schema: string): Promise<number> {
    const body = await this.call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schema,
      schemaType: 'AVRO',
    });
    return readId(body);
  }

  async schemaById(id: number): Promise<string> {
    const body = (await this.call('GET', `/schemas/ids/${id}`)) as { schema?: unknown };
    if (typeof body.schema !== 'string') throw new Error(`schema ${id}: response has no schema`);
    return body.schema;
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: this.headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as unknown) : {};
  }
}

function readId(body: unknown): number {
  const id = (body as { id?: unknown }).id;
  if (typeof id !== 'number') throw new Error('registry response has no id');
  return id;
}
