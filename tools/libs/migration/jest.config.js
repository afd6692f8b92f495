module.exports = require('../../../jest.preset').jestConfig(__dirname, 'unit');
