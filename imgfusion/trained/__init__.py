"""Trained style networks: model files, the training loop, training image sets, and the
networks built on them (feed-forward style; the conv-VAE latent shift)."""
