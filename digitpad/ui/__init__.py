"""The Qt shell over digitpad's pure core: widgets, the main window, and PNG saving through QSaveFile."""
