"""Tests of the dartboard calibration (desktop_receiver.calibration) and its synthetic renderer."""
