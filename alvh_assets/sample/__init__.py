"""The embedded sample market: landing files in real vendor formats, built from the real
series shipped in ``alvh_assets/data/real`` and, where no real series exists, from
documented models (labelled as modelled in file names and in ``manifest.json``)."""
