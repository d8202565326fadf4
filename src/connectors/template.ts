// The `${...}` templates sinks render (topic, body, SQL, Redis command) come from the rule SQL
// layer; here a bad one becomes a config error naming the sink and the key.
import { compileSqlTemplate, compileTemplate, type Template } from '../sql/index.js';
import { fail, type Where } from './config.js';

export type { Template };

export function template(text: string, where: Where, key: string): Template {
  try {
    return compileTemplate(text);
  } catch (error) {
    fail(where, `${key}: ${(error as Error).message}`);
  }
}

export function sqlTemplate(text: string, where: Where, key: string) {
  try {
    return compileSqlTemplate(text);
  } catch (error) {
    fail(where, `${key}: ${(error as Error).message}`);
  }
}
