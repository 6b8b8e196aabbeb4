// TensorDB in Electron's main process. The addon uses only Node-API, so the
// one .node file built for Node also loads in every Electron version (no
// electron-rebuild). Queries run on the engine's threads and return
// Promises, so the main process stays responsive; the renderer reaches the
// database through IPC (never load native addons in a renderer).
//
//   npm install electron && npx electron examples/electron-main.js
//
// Shipping with electron-builder: native files cannot be loaded from inside
// an asar archive, so unpack the package's binary:
//
//   // electron-builder.yml
//   asarUnpack:
//     - node_modules/tensordb/**/*.node
//     - node_modules/tensordb-*/**/*.node      # the per-platform package
//
// The loader (index.js) looks for ./tensordb.<platform>.node next to it and
// then for the tensordb-<platform> package; set NAPI_RS_NATIVE_LIBRARY_PATH
// to an absolute path when a bundler moves the file elsewhere.
const { app, BrowserWindow, ipcMain } = require('electron')
const path = require('node:path')
const { open } = require('tensordb')

let db

app.whenReady().then(async () => {
  // One database per app, in the user's data folder.
  db = await open(path.join(app.getPath('userData'), 'tensordb'))
  await db.sql('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)')

  // The renderer asks through IPC; the main process answers from the database.
  ipcMain.handle('notes:list', () => db.selectFrom('notes').selectAll().orderBy('id'))
  ipcMain.handle('notes:add', (_e, body) => db.insertInto('notes').values({ body }).returning(['id']))
  ipcMain.handle('notes:asOf', (_e, when) => db.selectFrom('notes').selectAll().asOf(new Date(when)))

  const win = new BrowserWindow({ width: 640, height: 480 })
  await win.loadURL(`data:text/html,<h1>TensorDB ${encodeURIComponent(db.path)}</h1>`)
})

// Close the database before quitting so the last writes are flushed.
app.on('before-quit', async (event) => {
  if (db === undefined || !db.isOpen()) return
  event.preventDefault()
  await db.close()
  app.quit()
})
