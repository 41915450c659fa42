// Type declarations of `pacekeeper-wasm`: the shared JS layer's (js/index.d.ts in the repository,
// the bundled `pacekeeper-js-api`), the same as `pacekeeper`'s.
export * from 'pacekeeper-js-api'
export { default } from 'pacekeeper-js-api'
