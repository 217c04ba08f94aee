// Intentionally empty: libvigil.so is built from the vigil_internal archive.
