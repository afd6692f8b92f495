import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { jsonSchemaOf, type JsonSchema } from '@profilestream/contracts';

export const OPENAPI_PATH = '/v1/openapi.json';

/** A decayed vector as the read API writes it: the vector as `?vectors=` asks, or left out. */
function vectorView(schema: JsonSchema): JsonSchema {
  const props = { ...(schema['properties'] as Record<string, JsonSchema>) };
  props['vector'] = {
    description:
      'Unit direction: an array of numbers (vectors=array), packed little-endian float32 in base64 (vectors=base64), or absent (vectors=none).',
    oneOf: [
      { type: 'array', items: { type: 'number' } },
      { type: 'string', format: 'byte' },
    ],
  };
  return { ...schema, properties: props, required: (schema['required'] as string[]).filter((f) => f !== 'vector') };
}

/** UserProfile as the read API answers it: decayed to now, without the exact state, vectors as asked. */
export function profileViewSchema(): JsonSchema {
  const profile = jsonSchemaOf('UserProfile');
  const props = { ...(profile['properties'] as Record<string, JsonSchema>) };
  delete props['state'];
  for (const list of ['horizons', 'channels', 'interestClusters'])
    props[list] = { ...props[list], items: vectorView(props[list]!['items'] as JsonSchema) };
  props['negative'] = { ...vectorView(props['negative']!), nullable: true };
  return { ...profile, properties: props, required: (profile['required'] as string[]).filter((f) => f !== 'state') };
}

/**
 * The OpenAPI description of the fuser's HTTP API, made by @nestjs/swagger from the controllers'
 * routes and decorators, with the profile's schema from the Avro contract (one source of truth).
 */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('profile-fuser')
    .setDescription(
      'Profiles as the fuser serves them: read (one, a batch, a history), erase, and the explorer page. Reads need FUSER_API_READ_TOKEN when it is set; erasure FUSER_API_TOKEN.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, ProfileView: profileViewSchema() } };
  return doc;
}

/** Serves the document at OPENAPI_PATH; call before the application starts listening. */
export function serveOpenApi(app: INestApplication): void {
  const doc = openApiDocument(app);
  const http = app.getHttpAdapter();
  http.get(OPENAPI_PATH, (_req: unknown, res: unknown) => http.reply(res, doc, 200));
}
