/** Which database the control plane runs on; some behaviour (LISTEN/NOTIFY) differs. */
export const DATABASE_KIND = Symbol('DATABASE_KIND');
