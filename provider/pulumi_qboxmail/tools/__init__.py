"""Tools beside the faces: the export, the emulator and the generator of checked-in files."""
