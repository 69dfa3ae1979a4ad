import { ColonPair, Enum, HeaderName, HeaderPair, Nullable, Str, Type } from '../../shared/schema/kong-types';

/** `name` entries (remove). */
export const Names = () => Type.Array(Str(), { default: [] });
/** `name:value` entries (rename/replace/add/append). */
export const Pairs = () => Type.Array(ColonPair(), { default: [] });
export const JsonTypes = () => Type.Array(Enum(['boolean', 'number', 'string']), { default: [] });
/** Status codes or ranges, e.g. "500" or "400-499". */
export const IfStatus = () =>
  Type.Array(
    Str({
      pattern: '^\\d{3}(-\\d{3})?$',
      kongMessage: "invalid value '{value}': expected a status code or range",
    }),
    {
      default: [],
    },
  );
export const NullableNames = () => Nullable(Type.Array(Str()));

/** Header entries: values must be sendable (checked at write time, not per request). */
export const HeaderPairs = () => Type.Array(HeaderPair(), { default: [] });
export const HeaderNames = () => Type.Array(HeaderName(), { default: [] });
