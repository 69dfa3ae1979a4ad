import { InitialSchema1763800000000 } from './1763800000000-initial-schema';
import { ClusteringDataPlanes1763800000001 } from './1763800000001-clustering-data-planes';

/** Every migration, in order; applied on control-plane start (never `synchronize`). */
export const migrations = [InitialSchema1763800000000, ClusteringDataPlanes1763800000001];
