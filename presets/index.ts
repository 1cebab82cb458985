// The presets the app offers, in menu order. The files are plain graph documents.
import betaVae from './beta-vae.json';
import vaeBeta0 from './vae-beta0.json';
import autoencoder from './autoencoder.json';
import cnnClassifier from './cnn-classifier.json';
import vaeBatchnorm from './vae-batchnorm.json';
import unetAutoencoder from './unet-autoencoder.json';

// `short` is the toolbar's button, so that the whole toolbar fits 1280 px.
export const presets: readonly { file: string; title: string; short: string; doc: unknown }[] = [
  { file: 'beta-vae', title: 'β-VAE (β = 10)', short: 'β-VAE', doc: betaVae },
  { file: 'vae-beta0', title: 'VAE, β = 0', short: 'β = 0', doc: vaeBeta0 },
  { file: 'autoencoder', title: 'Autoencoder', short: 'Autoencoder', doc: autoencoder },
  { file: 'cnn-classifier', title: 'CNN classifier', short: 'CNN', doc: cnnClassifier },
  { file: 'vae-batchnorm', title: 'VAE + BatchNorm', short: '+BatchNorm', doc: vaeBatchnorm },
  { file: 'unet-autoencoder', title: 'U-Net autoencoder', short: 'U-Net', doc: unetAutoencoder },
];
