export const label = 'about us'
