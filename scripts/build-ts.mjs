// Compiles the SDK (CommonJS + declarations) and writes thin ESM wrappers
// that re-export it, so one compiled copy serves `import` and `require`.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' })
mkdirSync('dist/esm', { recursive: true })
// One ESM wrapper per entry point of the package's `exports` map.
for (const entry of ['index', 'express', 'next', 'kysely']) {
  const names = Object.keys(require(`../dist/cjs/${entry}.js`)).filter((n) => n !== 'default' && n !== '__esModule')
  writeFileSync(
    `dist/esm/${entry}.mjs`,
    `import cjs from '../cjs/${entry}.js'\nexport const { ${names.join(', ')} } = cjs\nexport default cjs\n`,
  )
  writeFileSync(`dist/esm/${entry}.d.mts`, `export * from '../cjs/${entry}.js'\n`)
}
