// `import 'server-only'`: Next's build refuses it in client code only; on the server it is empty.
export {};
