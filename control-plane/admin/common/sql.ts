/** TypeORM's postgres driver returns `[rows, count]` for UPDATE/DELETE and `rows` otherwise. */
export function rowsOf(result: any): any[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0];
  }
  return result;
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
