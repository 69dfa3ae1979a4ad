import { InitialSchema1763800000000 } from './1763800000000-initial-schema';

/** Every migration, in order; applied on control-plane start (never `synchronize`). */
export const migrations = [InitialSchema1763800000000];
