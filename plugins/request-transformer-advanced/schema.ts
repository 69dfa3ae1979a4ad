import { Bool, Nullable, Rec, Str } from '../../shared/schema/kong-types';
import type { FieldError } from '../../shared/schema/validator';
import { definePlugin } from '../../shared/plugins/definition';
import { parseTemplate } from '../lib/templates';
import { HeaderNames, HeaderPairs, JsonTypes, Names, NullableNames, Pairs } from '../lib/transformer-fields';

export const requestTransformerAdvancedPlugin = definePlugin({
  name: 'request-transformer-advanced',
  version: '3.12.0',
  priority: 802,
  schema: Rec({
    http_method: Nullable(
      Str({ pattern: '^[A-Z]+$', kongMessage: "invalid value '{value}': expected an uppercase HTTP method" }),
    ),
    remove: Rec({ headers: HeaderNames(), querystring: Names(), body: Names() }, { default: {} }),
    rename: Rec({ headers: HeaderPairs(), querystring: Pairs(), body: Pairs() }, { default: {} }),
    replace: Rec(
      {
        headers: HeaderPairs(),
        querystring: Pairs(),
        body: Pairs(),
        json_types: JsonTypes(),
        uri: Nullable(Str()),
      },
      { default: {} },
    ),
    add: Rec(
      { headers: HeaderPairs(), querystring: Pairs(), body: Pairs(), json_types: JsonTypes() },
      { default: {} },
    ),
    append: Rec(
      { headers: HeaderPairs(), querystring: Pairs(), body: Pairs(), json_types: JsonTypes() },
      { default: {} },
    ),
    allow: Rec({ body: NullableNames() }, { default: {} }),
    dots_in_keys: Bool({ default: true }),
  }),
  check: (c) => {
    const errors: FieldError[] = [];
    for (const op of ['rename', 'replace', 'add', 'append'] as const) {
      for (const field of ['headers', 'querystring', 'body'] as const) {
        (c[op]?.[field] ?? []).forEach((entry: string, i: number) => {
          try {
            parseTemplate(entry.slice(entry.indexOf(':') + 1));
          } catch (err) {
            errors.push({ path: [op, field, i], message: (err as Error).message });
          }
        });
      }
    }
    if (c.replace?.uri) {
      try {
        parseTemplate(c.replace.uri);
      } catch (err) {
        errors.push({ path: ['replace', 'uri'], message: (err as Error).message });
      }
    }
    return errors;
  },
});

export default requestTransformerAdvancedPlugin;
