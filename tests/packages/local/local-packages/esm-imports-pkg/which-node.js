export const which = 'node';
