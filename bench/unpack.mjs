#!/usr/bin/env node
/**
 * Unpack one layer blob into a fresh image store, the way `pull` and `load`
 * do (digest + diff id verified while streaming). Used by bench/unpack.sh;
 * run with: node bench/unpack.mjs <layer.tar.gz> <digest> <diffId> <storeRoot>
 */
import { createReadStream } from 'node:fs'
import { ImageStore } from '../dist/image/store.js'

const [file, digest, diffId, root] = process.argv.slice(2)
const store = new ImageStore({ root })
await store.unpackLayer(createReadStream(file, { highWaterMark: 1024 * 1024 }), { digest, diffId, chainId: diffId })
