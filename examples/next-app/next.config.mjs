// The native addon is loaded at run time, not bundled.
export default { serverExternalPackages: ['tensordb'] }
