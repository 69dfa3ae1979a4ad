/** This control-plane process's id (a fresh uuid per start). */
export const NODE_ID = Symbol('NODE_ID');
