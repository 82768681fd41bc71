export const which = 'edge-light';
