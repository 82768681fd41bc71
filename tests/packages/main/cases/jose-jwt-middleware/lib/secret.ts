export const secret = new TextEncoder().encode('nbruntime-demo-secret-at-least-32-bytes!!')
