"""The app's screens: the lesson list, a lesson's pages, and help."""
