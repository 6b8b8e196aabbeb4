// Compiles the SDK (CommonJS + declarations) and writes the thin ESM wrapper
// that re-exports it, so one compiled copy serves `import` and `require`.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' })
mkdirSync('dist/esm', { recursive: true })
const names = Object.keys(require('../dist/cjs/index.js')).filter((n) => n !== 'default' && n !== '__esModule')
writeFileSync(
  'dist/esm/index.mjs',
  `import cjs from '../cjs/index.js'\nexport const { ${names.join(', ')} } = cjs\nexport default cjs\n`,
)
writeFileSync('dist/esm/index.d.mts', `export * from '../cjs/index.js'\n`)
