// Rules and connectors (docs/RULES.md): CRUD, enable/disable, reset metrics, and the SQL test
// that runs a rule against a sample input without side effects.
import type { RulesHost } from '../rules/host.js';
import { RulesError } from '../rules/errors.js';
import type { RulesService } from '../rules/service.js';
import { HttpError, type RouteTable, type Schema } from './routes.js';
import * as S from './schemas.js';

const STATUS = { bad_request: 400, not_found: 404, conflict: 409 } as const;

/** The service's refusals as HTTP statuses with its message. */
async function call<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (error) {
    if (error instanceof RulesError) throw new HttpError(STATUS[error.kind], error.message);
    throw error;
  }
}

const anyObject: Schema = { type: 'object', description: 'See docs/RULES.md' };
const byId = S.obj({ id: S.str('Rule id', { minLength: 1 }) }, ['id']);
const byName = S.obj({ name: S.str('Connector name', { minLength: 1 }) }, ['name']);
const ruleView: Schema = {
  type: 'object',
  description: 'The rule as configured, its FROM sources and its metrics',
};
const connectorView: Schema = {
  type: 'object',
  description: 'The connector (secrets hidden), its status, counters and the rules using it',
};

export function ruleRoutes(table: RouteTable, host: RulesHost): void {
  const route = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    summary: string,
    handler: (rules: RulesService, params: Record<string, string>, body: unknown) => unknown,
    extra: { body?: boolean; status?: number; item?: 'rule' | 'connector' } = {},
  ) =>
    table.add({
      method,
      url,
      tag: url.includes('connectors') ? 'connectors' : 'rules',
      summary,
      params: url.includes(':id') ? byId : url.includes(':name') ? byName : undefined,
      body: extra.body ? anyObject : undefined,
      responses: {
        [extra.status ?? 200]: {
          description: summary,
          schema: extra.item === 'connector' ? connectorView : ruleView,
        },
        404: { description: 'No such rule or connector' },
      },
      handler: async (req, reply) => {
        const rules = await host.get();
        const result = await call(() => handler(rules, req.params, req.body));
        reply.code(extra.status ?? 200);
        return result ?? reply.send();
      },
    });
  route('GET', '/api/v1/rules', 'List rules with their metrics', (rules) => ({
    data: rules.listRules(),
  }));
  route('POST', '/api/v1/rules', 'Create a rule', (rules, _, b) => rules.createRule(b), {
    body: true,
    status: 201,
  });
  route(
    'POST',
    '/api/v1/rules/test',
    'Run SQL against a sample message or event: the outputs, no actions, no counters',
    (rules, _, b) => rules.test(b as { sql: string }),
    { body: true },
  );
  route('GET', '/api/v1/rules/:id', 'One rule', (rules, p) => rules.getRule(p.id!));
  route(
    'PUT',
    '/api/v1/rules/:id',
    'Change a rule (the keys given)',
    (rules, p, b) => rules.updateRule(p.id!, b),
    { body: true },
  );
  route('DELETE', '/api/v1/rules/:id', 'Delete a rule', (rules, p) => rules.deleteRule(p.id!), {
    status: 204,
  });
  route('POST', '/api/v1/rules/:id/enable', 'Enable a rule', (rules, p) =>
    rules.updateRule(p.id!, { enabled: true }),
  );
  route('POST', '/api/v1/rules/:id/disable', 'Disable a rule', (rules, p) =>
    rules.updateRule(p.id!, { enabled: false }),
  );
  route('POST', '/api/v1/rules/:id/metrics/reset', "Reset a rule's metrics", (rules, p) =>
    rules.resetMetrics(p.id!),
  );
  const connector = { item: 'connector' as const };
  route(
    'GET',
    '/api/v1/connectors',
    'List connectors with status and counters',
    (rules) => ({
      data: rules.listConnectors(),
    }),
    connector,
  );
  route(
    'POST',
    '/api/v1/connectors',
    'Create a connector',
    (rules, _, b) => rules.createConnector(b),
    {
      ...connector,
      body: true,
      status: 201,
    },
  );
  route(
    'GET',
    '/api/v1/connectors/:name',
    'One connector',
    (rules, p) => rules.getConnector(p.name!),
    connector,
  );
  route(
    'PUT',
    '/api/v1/connectors/:name',
    'Change a connector (the keys given)',
    (rules, p, b) => rules.updateConnector(p.name!, b),
    { ...connector, body: true },
  );
  route(
    'DELETE',
    '/api/v1/connectors/:name',
    'Delete a connector no rule uses',
    (rules, p) => rules.deleteConnector(p.name!),
    { ...connector, status: 204 },
  );
}
