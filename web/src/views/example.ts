/** The batch "Load an example" puts in the editor: a short chain and two independent questions. */
export const exampleBatch = JSON.stringify(
  {
    questions: [
      { index: 1, question: "Name one prime number between 10 and 20. Answer with the number only." },
      { index: 2, question: "What is {Q1_result} squared? Answer with the number only." },
      { index: 3, question: "Write the number {Q2_result} in words." },
      { index: 4, question: "Name the largest planet of the solar system, in one word." },
      { index: 5, question: "Give the chemical symbol of gold." }
    ]
  },
  null,
  2
)
