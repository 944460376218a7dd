// Importing a detector module registers its type with loadDetector (registerDetector at module
// load). Code that loads detector files of any type (the CLI's score, export and tensor scoring)
// imports this one module, so every entry point knows the same types.
import './iforest.ts';
import './ocsvm.ts';
import './rbm.ts';
import './rbm_ensemble.ts';
import './autoencoder.ts';
import './vae.ts';
import './lstm_forecaster.ts';
import './lstm_autoencoder.ts';
import './tcn_forecaster.ts';
