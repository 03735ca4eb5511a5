/**
 * `spindle/plugin-sdk/files`: file helpers that behave the same whether a plugin runs in-process
 * or isolated (where Node's permission model lets it see only what its manifest declares).
 */
export { type CopyTreeOptions, copyTree } from './copy-tree.js';
