"""The web catalogue (`edcat serve`): a second front end, as thin as the CLI, over catalogue/."""
