import { Matrix } from 'ml-matrix'; console.log(typeof Matrix); require('/tmp/bench/kern3.js');
