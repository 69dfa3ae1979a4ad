import { NOT_FOUND, type KongErrorBody } from '../../../shared/errors';

/** An Admin API error carrying Kong's status and body; rendered by KongErrorFilter. */
export class KongHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: KongErrorBody,
  ) {
    super(body.message);
  }
}

export const notFound = () => new KongHttpError(404, NOT_FOUND);
export const badRequest = (message: string) => new KongHttpError(400, { message });
