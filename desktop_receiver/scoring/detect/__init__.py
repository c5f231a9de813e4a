"""Dart detection: from a calibrated board and two frames, whether a new dart is there and where its tip
entered the board (analysis.analyse)."""
