// Usage: MLNetExt.ScoringHost <model.zip> <input.idv> <output.tsv> <column>...
// Loads the model with nothing but ML.NET (its loader assembly is found from the zip), scores the binary
// IDataView and writes the named columns with ScoreDump.
using Microsoft.ML;
using MLNetExt.ScoringHost;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: MLNetExt.ScoringHost <model.zip> <input.idv> <output.tsv> <column>...");
    return 2;
}
var ml = new MLContext(seed: 1);
var model = ml.Model.Load(args[0], out _);
var scored = model.Transform(ml.Data.LoadFromBinary(args[1]));
using var output = new StreamWriter(args[2]);
ScoreDump.Write(scored, args[3..], output);
return 0;
